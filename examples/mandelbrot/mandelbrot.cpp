// The Mandelbrot set, one task per pixel row. Rows through the set cost up to --iterations
// per pixel and rows outside it almost nothing: very uneven tasks, which the master
// balances by handing out small batches to whichever worker is free.
// Output: "row<TAB>count count ..." per row (escape iterations per pixel);
// examples/mandelbrot/assemble.py turns the lines into a PNG.
#include <cstdint>

#include <taskfarm/taskfarm.hpp>

int main(int argc, char** argv) {
  taskfarm::App app(argc, argv, "mandelbrot: escape iterations per pixel, one task per row");
  int width = 320;
  int height = 200;
  int iterations = 500;
  app.option("--width", width, "pixels per row");
  app.option("--height", height, "rows (tasks)");
  app.option("--iterations", iterations, "most iterations per pixel");
  const double xmin = -2.2, xmax = 0.8, ymin = -1.2, ymax = 1.2;
  return app.run(taskfarm::range<int>(0, height), [&](int row, taskfarm::Out& out) {
    const double ci = ymin + (ymax - ymin) * row / height;
    out << row << '\t';
    for (int column = 0; column < width; ++column) {
      const double cr = xmin + (xmax - xmin) * column / width;
      double zr = 0, zi = 0;
      int n = 0;
      while (n < iterations && zr * zr + zi * zi <= 4.0) {
        const double next_zr = zr * zr - zi * zi + cr;
        zi = 2 * zr * zi + ci;
        zr = next_zr;
        ++n;
      }
      out << (column ? " " : "") << n;
    }
    out << '\n';
  });
}
