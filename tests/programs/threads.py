"""Work done by a non-daemon thread after the main body ended is the program's."""
import threading


def work():
    import statistics
    print("mean", statistics.mean([1, 2, 3, 4]))


threading.Thread(target=work).start()
print("main body done")
