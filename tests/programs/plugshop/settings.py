import iniconfig


def load(path):
    return iniconfig.IniConfig(path)
