import string


def shout(text):
    return string.capwords(text).upper()


if __name__ == "__main__":
    print("tool as main", __spec__.name, __package__)
