"""Executes a notebook with a Jupyter kernel and writes the executed notebook, keeping late outputs.

Usage: run_notebook.py NOTEBOOK OUTPUT [--kernel deno] [--timeout 600]

Why not nbconvert: Deno 2.9.6's kernel can publish a cell's display_data or execute_result after it has
published the cell's "idle" status (seen here under load: 3 of 6 runs of notebooks 1 and 3 with three busy
loops beside them). nbclient takes "idle" as the end of the cell's outputs and drops whatever comes later
without a word, so a plot goes missing at random. This runner collects every iopub message by its parent
request, and after each cell it runs a sync request whose own display comes through the same broadcast
queue as the cell's: once the sync display has arrived, every display the cell broadcast has arrived too.

The executed notebook has nbformat's output shapes (stream, display_data, execute_result, error), so
tests read it as they would read nbconvert's. Exit status: 0 when every cell ran, 1 when a cell raised or
the kernel failed (the notebook is still written, with the error output in it), 2 on bad arguments.
"""

import argparse
import json
import os
import queue
import sys
import time
import uuid

from jupyter_client.manager import start_new_kernel

SYNC_MIME = "application/x.denocat-sync"


def sync_code(marker: str) -> str:
    # Deno.jupyter.broadcast goes through the queue that display() and execute results use.
    return (
        f'await Deno.jupyter.broadcast("display_data", '
        f'{{ data: {{ "{SYNC_MIME}": "{marker}" }}, metadata: {{}}, transient: {{}} }});'
    )


def to_output(msg: dict) -> dict | None:
    kind, content = msg["msg_type"], msg["content"]
    if kind == "stream":
        return {"output_type": "stream", "name": content["name"], "text": content["text"]}
    if kind in ("display_data", "execute_result"):
        out = {"output_type": kind, "data": content.get("data", {}), "metadata": content.get("metadata", {})}
        if kind == "execute_result":
            out["execution_count"] = content.get("execution_count")
        return out
    if kind == "error":
        return {
            "output_type": "error",
            "ename": content.get("ename", ""),
            "evalue": content.get("evalue", ""),
            "traceback": content.get("traceback", []),
        }
    return None


def merged(outputs: list[dict]) -> list[dict]:
    """Consecutive stream outputs of one name become one, as in nbformat."""
    result: list[dict] = []
    for out in outputs:
        last = result[-1] if result else None
        if last and out["output_type"] == "stream" and last["output_type"] == "stream" and last["name"] == out["name"]:
            last["text"] += out["text"]
        else:
            result.append(out)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebook")
    parser.add_argument("output")
    parser.add_argument("--kernel", default="deno")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds one cell may take")
    args = parser.parse_args()

    with open(args.notebook, encoding="utf-8") as f:
        notebook = json.load(f)
    folder = os.path.dirname(os.path.abspath(args.notebook))
    km, kc = start_new_kernel(kernel_name=args.kernel, cwd=folder)
    failed = False
    try:
        count = 0
        for cell in notebook["cells"]:
            if cell["cell_type"] != "code":
                continue
            count += 1
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell_id = kc.execute(source)
            marker = uuid.uuid4().hex
            sync_id = None
            outputs: list[dict] = []
            seen_sync = False
            idle = False  # the cell's "idle" status has come: later outputs are the late ones
            late = 0
            reply = None
            deadline = time.monotonic() + args.timeout
            while not (reply is not None and seen_sync):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"cell {count} took longer than {args.timeout} s")
                # The cell's shell reply tells that it has finished; then the sync request is sent.
                if reply is None:
                    try:
                        answer = kc.get_shell_msg(timeout=0.05)
                        if answer["parent_header"].get("msg_id") == cell_id:
                            reply = answer
                            sync_id = kc.execute(sync_code(marker), store_history=False)
                    except queue.Empty:
                        pass
                try:
                    msg = kc.get_iopub_msg(timeout=0.05)
                except queue.Empty:
                    continue
                parent = msg["parent_header"].get("msg_id")
                if parent == cell_id:
                    if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                        idle = True
                    out = to_output(msg)
                    if out is not None:
                        outputs.append(out)
                        late += idle
                elif parent is not None and parent == sync_id:
                    data = msg["content"].get("data", {}) if msg["msg_type"] == "display_data" else {}
                    if data.get(SYNC_MIME) == marker:
                        seen_sync = True
                    elif not seen_sync:
                        # The sync request prints nothing itself: an output filed under it before
                        # its marker is the cell's own, stamped late with the newer request's id.
                        out = to_output(msg)
                        if out is not None:
                            outputs.append(out)
                            late += 1
            if sync_id is not None:
                kc.get_shell_msg(timeout=args.timeout)  # the sync request's own reply
            if late:
                print(f"run_notebook: cell {count}: kept {late} output(s) published after its idle status",
                      file=sys.stderr)
            cell["outputs"] = merged(outputs)
            cell["execution_count"] = reply["content"].get("execution_count", count)
            if reply["content"].get("status") != "ok":
                failed = True
                if not any(o["output_type"] == "error" for o in outputs):
                    content = reply["content"]
                    cell["outputs"].append(to_output({"msg_type": "error", "content": content}))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump(notebook, f, indent=1, ensure_ascii=False)
            f.write("\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
