"""Work done by a non-daemon thread after the main body ended is the program's."""
import sys
import threading


def work():
    import statistics
    # one write: print() writes its parts separately, and the main thread's
    # output could come between them
    sys.stdout.write(f"mean {statistics.mean([1, 2, 3, 4])}\n")


threading.Thread(target=work).start()
print("main body done")
