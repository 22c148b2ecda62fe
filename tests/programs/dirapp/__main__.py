import sys
print("dirapp", sys.argv[0], sys.path[0].endswith("dirapp"), __spec__.name if __spec__ else None)
