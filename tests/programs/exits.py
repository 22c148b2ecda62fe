import sys

how = sys.argv[1]
print("exiting", how)
if how == "none":
    sys.exit()
if how == "message":
    sys.exit("a message for stderr")
if how == "raise-in-finally":
    try:
        raise KeyError("inner")
    finally:
        raise SystemExit(7)
sys.exit(int(how))
