/* An MPI program for cmd's tasks on groups of ranks: prints "ID rank=R size=S sum=S
 * host=H" on every rank (the sum from an MPI_Allreduce of 1 per rank). With "hang" as its
 * second argument, rank 1 never reaches the allreduce, so the whole job hangs. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0, one = 1, sum = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc > 2 && strcmp(argv[2], "hang") == 0 && rank == 1)
    for (;;) sleep(1);
  MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  printf("%s rank=%d size=%d sum=%d host=%s\n", argc > 1 ? argv[1] : "-", rank, size, sum, host);
  MPI_Finalize();
  return 0;
}
