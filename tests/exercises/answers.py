"""What the exercises' checks ask of a reader's answer before they compare it: shared by
every chapter's checks (chapter_03.py, ...). The runner puts this folder on the path."""


def number(ns, name, whole=False):
    """The number the reader's block left in ns[name]; an AssertionError saying so if it is
    not one (None, the starting point's placeholder, or True, which Python counts as 1)."""
    value = ns.get(name)
    kinds = int if whole else (int, float)
    assert isinstance(value, kinds) and not isinstance(value, bool), \
        f"set {name} to a {'whole ' if whole else ''}number (it is {value!r})"
    return value
