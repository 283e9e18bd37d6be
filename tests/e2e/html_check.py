#!/usr/bin/python3
"""Opens an HTML file in headless Chromium through the DevTools protocol (over a pipe)
and checks that it loaded without a console error, an uncaught exception or a single
network request, and that its screenshot is not blank. Saves the screenshot.

Usage: html_check.py PAGE.html SHOT.png      exit 0 when all holds; 1 with the reasons
"""
import base64
import json
import os
import subprocess
import sys
import time


class Chromium:
    """A headless Chromium driven through --remote-debugging-pipe (fds 3 and 4)."""

    def __init__(self):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def child_fds():  # via fresh copies: dup2 of an fd onto itself would keep it close-on-exec
            read_end, write_end = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
             "--hide-scrollbars", "--user-data-dir=" + os.path.abspath(".chromium-profile"), "about:blank"],
            preexec_fn=child_fds, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.next_id = 0
        self.buffer = b""
        self.events = []

    def read_message(self, deadline):
        while b"\0" not in self.buffer:
            if time.time() > deadline:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, session=None, timeout=30, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            reply = self.read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method, timeout=30):
        deadline = time.time() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self.read_message(deadline))

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def not_blank(png_path):
    import matplotlib.image
    import numpy
    pixels = matplotlib.image.imread(png_path)[:, :, :3]
    non_white = numpy.any(pixels < 0.95, axis=2).mean()
    colours = len(numpy.unique((pixels * 255).astype(int).reshape(-1, 3), axis=0))
    return non_white > 0.01 and colours > 8, f"{non_white:.1%} of the pixels not white, {colours} colours"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    page, shot = os.path.abspath(sys.argv[1]), sys.argv[2]
    url = "file://" + page
    chrome = Chromium()
    problems = []
    try:
        target = chrome.call("Target.createTarget", url="about:blank")["targetId"]
        session = chrome.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Network", "Runtime", "Log", "Page"):
            chrome.call(domain + ".enable", session)
        chrome.call("Emulation.setDeviceMetricsOverride", session, width=1200, height=900, deviceScaleFactor=1,
                    mobile=False)
        chrome.events.clear()
        chrome.call("Page.navigate", session, url=url)
        chrome.wait_for("Page.loadEventFired")
        time.sleep(0.5)  # late scripts and requests
        chrome.call("Runtime.evaluate", session, expression="1")  # collects the events up to now
        metrics = chrome.call("Page.getLayoutMetrics", session)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        image = chrome.call("Page.captureScreenshot", session, format="png", captureBeyondViewport=True,
                            clip={"x": 0, "y": 0, "width": 1200, "height": min(size["height"], 8000), "scale": 1})
        with open(shot, "wb") as f:
            f.write(base64.b64decode(image["data"]))
    finally:
        chrome.close()
    for e in chrome.events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Network.requestWillBeSent" and params["request"]["url"] != url:
            problems.append("network request: " + params["request"]["url"])
        elif method == "Runtime.exceptionThrown":
            problems.append("uncaught exception: " + params["exceptionDetails"].get("text", "") + " " +
                            str(params["exceptionDetails"].get("exception", {}).get("description", "")))
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            problems.append("console error: " + " ".join(str(a.get("value", "")) for a in params["args"]))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            problems.append("console error: " + params["entry"]["text"])
    ok, pixels = not_blank(shot)
    if not ok:
        problems.append("the screenshot is blank: " + pixels)
    for p in problems:
        print(p)
    print(f"{page}: {'ok' if not problems else 'FAILED'} ({pixels}; screenshot {shot})")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
