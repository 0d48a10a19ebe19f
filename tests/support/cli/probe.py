"""The script of tests/cli_test.ts: `denocat run <module.ts> probe.py <mode> [args...]`.

Each mode prints one line "result <json>" (or fails on purpose) for the test to check.
"""
import json
import os
import sys
import threading
import time

import arbor
import denocat
import helper

sys.path.insert(1, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "examples", "python"))
from common import OneCell, simulate, soma_cell  # noqa: E402

mode = sys.argv[1]


def report(**values):
    print("result", json.dumps(values))


class ManyCells(OneCell):
    # Arbor's default partition makes one cell group per cell, and its task system hands the groups
    # to every thread, the calling one included. With two cells a run on two threads sometimes built
    # and ran both on the calling thread (no call refused: about 1 run in 10 on real Arbor). So: 16
    # cells, and the calling thread takes 10 ms over each cell description it builds (Arbor asks for
    # it while building the group, on the thread that builds it), which leaves the other thread time
    # to take groups of its own even on a busy machine.
    def num_cells(self):
        return 16

    def cell_description(self, gid):
        if threading.current_thread() is threading.main_thread():
            time.sleep(0.01)
        return self.cell


if mode == "argv":
    main = sys.modules["__main__"]
    report(argv=sys.argv, name=__name__, file=__file__, path0=sys.path[0], helper=helper.WHERE,
           main_is_this=main.__dict__ is globals())
elif mode == "catalogue":
    # Count arbor.load_catalogue calls: catalogue() and build() must share one load. denocat looks the
    # function up on the module at each call, so this wrapper sees every load.
    loads = []
    load_catalogue = arbor.load_catalogue

    def counted_load(*args, **kwargs):
        loads.append(args)
        return load_catalogue(*args, **kwargs)

    arbor.load_catalogue = counted_load
    cat = denocat.catalogue()
    again = denocat.build()
    report(same=cat is again, has=[name in cat for name in denocat.mechanisms], mechanisms=denocat.mechanisms,
           layout=denocat.layout, loads=len(loads), version=arbor.__version__)
elif mode in ("hook-error", "hook-error-caught"):
    recipe = OneCell(soma_cell([('"soma"', "boom")]), denocat.catalogue())
    if mode == "hook-error":
        simulate(recipe, denocat.context(), 1.0)
    try:
        simulate(recipe, denocat.context(), 1.0)
    except denocat.MechanismError as error:
        report(caught=str(error), type=type(error).__module__ + "." + type(error).__name__,
               is_denocat_error=isinstance(error, denocat.Error))
    # After the error is raised, the catalogue runs again.
    times, voltages, _ = simulate(OneCell(soma_cell([]), denocat.catalogue()), denocat.context(), 0.1)
    print("ran again", len(times))
elif mode == "late-failure":
    # The simulation is built (init runs and throws) but never run: no guarded call returns.
    arbor.simulation(OneCell(soma_cell([('"soma"', "boom_init")]), denocat.catalogue()), denocat.context())
    print("script finished")
elif mode == "threads-denocat":
    try:
        denocat.context(threads=2)
    except denocat.ThreadsError as error:
        report(caught=str(error), value_error=isinstance(error, ValueError))
elif mode == "threads-arbor":
    recipe = ManyCells(soma_cell([('"soma"', "passive")]), denocat.catalogue())
    try:
        simulate(recipe, arbor.context(threads=2, gpu_id=None), 1.0)  # one group per cell: two threads
    except denocat.MechanismError as error:
        report(caught=str(error))
    else:
        report(caught=None)
elif mode == "abi":
    # An injected fault: real Arbor always has a version denocat knows, so the test makes this one
    # claim the version given as argv[2] (e.g. 0.13.0) before denocat reads arbor.__version__.
    arbor.__version__ = sys.argv[2]
    first = wrong = None
    try:
        denocat.catalogue()
    except denocat.AbiError as error:
        first = str(error)
    try:
        denocat.catalogue(abi="0.8")
    except ValueError as error:
        wrong = str(error)
    denocat.catalogue(abi="0.7")
    report(first=first, wrong=wrong, layout=denocat.layout)
elif mode == "abi-wrong":
    # argv[2]: the layout this Arbor does not read.
    try:
        denocat.catalogue(abi=sys.argv[2])
    except denocat.AbiError as error:
        report(caught=str(error), layout=denocat.layout)
    else:
        report(caught=None, layout=denocat.layout)
elif mode == "thread-run":
    # The whole simulation in a Python worker thread, with the one-thread context of denocat.context():
    # Arbor runs the mechanisms on that thread, where JavaScript cannot run.
    recipe = OneCell(soma_cell([('"soma"', "passive")]), denocat.catalogue())
    context = denocat.context()
    outcome = {}

    def work():
        try:
            simulate(recipe, context, 0.1)
            outcome["caught"] = None
        except Exception as error:
            outcome["caught"] = str(error)
            outcome["type"] = type(error).__module__ + "." + type(error).__name__
        try:
            denocat.catalogue()  # a TypeScript function: JavaScript cannot run on this thread either
        except RuntimeError as error:
            outcome["bridge"] = str(error)

    worker = threading.Thread(target=work, name="worker-1")
    worker.start()
    worker.join()
    report(**outcome)
elif mode in ("late-thread", "late-executor"):
    # The main code ends at once; the results are written later by a thread the script did not join
    # (or a ThreadPoolExecutor job it did not wait for). python3 waits for both before it exits.
    out = sys.argv[2]

    def late():
        time.sleep(0.5)
        with open(out, "w") as f:
            f.write("written late\n")
        print("late work done", flush=True)

    if mode == "late-thread":
        threading.Thread(target=late).start()
    else:
        import concurrent.futures
        concurrent.futures.ThreadPoolExecutor(max_workers=1).submit(late)
    print("main code done", flush=True)
elif mode == "exit":
    print("exiting with", sys.argv[2])
    sys.exit(int(sys.argv[2]))
elif mode == "raise":
    raise ValueError("a plain Python error in " + mode)
else:
    sys.exit("unknown mode " + mode)
