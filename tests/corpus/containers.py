"""Tuples, lists and dicts: construction, unpacking, subscripting, as arguments."""

import numpy as np

from . import may_refuse


def tuple_construct_unpack(a, b):
    t = (a * 2.0, b + 1.0)
    p, q = t
    return p * q


def tuple_index(a, b):
    t = (a, b, a * b)
    return t[0] + t[2]


def tuple_negative_index(a, b):
    t = (a, b)
    return t[-1] * t[0] * t[-2]


def tuple_argument_unpack(tup):
    p, q = tup
    return np.sum(p * q)


def tuple_argument_index(tup):
    return np.sum(tup[0] ** 2) + np.sum(np.sin(tup[1]))


def tuple_swap(a, b):
    a, b = b, a
    return a * 2.0 + b * b


def nested_tuple_unpack(a, b, c):
    (p, q), r = (a, b), c
    return p * q * r


def tuple_of_arrays_matmul(tup):
    p, q = tup
    return p @ q


def tuple_slice(a, b, c):
    t = (a, b, c)
    s = t[1:]
    return s[0] * s[1]


def list_construct_index(a, b):
    l = [a, b, a + b]
    return l[2] * l[0]


def list_argument(lst):
    return lst[0] * lst[1] + lst[2]


def list_argument_unpack(lst):
    p, q, r = lst
    return p * q / r


def list_argument_negative_index(lst):
    return lst[-1] ** 2 * lst[0]


def list_setitem(a, b):
    l = [a, 0.0]
    l[1] = b * 2.0
    return l[0] * l[1]


def list_setitem_overwrites_active(a, b):
    l = [a, b]
    l[0] = b * b
    return l[0] * l[1]


def list_append(a, b):
    l = []
    l.append(a)
    l.append(a * b)
    return l[0] + l[1]


def list_concatenate(a, b):
    l = [a, b] + [a * b]
    return l[2] + l[0] * l[1]


def list_builtin_sum(lst):
    return sum(lst) * lst[1]


def list_of_arrays(x, y):
    l = [x, y, x * y]
    return np.sum(l[2]) + np.sum(l[0] ** 2)


def list_len(lst):
    return lst[0] * len(lst)


def list_slice(lst):
    s = lst[1:]
    return s[0] * s[1]


def list_index_variable(lst, k):
    return lst[k] * lst[k + 1]


def dict_construct(a, b):
    d = {"p": a, "q": b * 2.0}
    return d["p"] * d["q"]


def dict_argument(dct):
    return np.sum(dct["p"] ** 2) * dct["q"]


def dict_setitem(a, x):
    d = {}
    d["s"] = a
    d["v"] = x * a
    return np.sum(d["v"]) + d["s"]


def dict_rebuilt(dct):
    d = {"p": dct["p"] * 2.0, "q": dct["q"]}
    return np.sum(d["p"] * d["q"])


def dict_key_variable(dct):
    key = "q"
    return dct[key] * np.sum(dct["p"])


def dict_iterate_keys(dct):
    s = 0.0
    for key in dct:
        s = s + np.sum(dct[key])
    return s * s


def dict_items(dct):
    s = 0.0
    for key, value in dct.items():
        s = s + np.sum(value * value) * len(key)
    return s


def dict_overwrite_entry(a, b):
    d = {"p": a}
    d["p"] = d["p"] * b
    return d["p"] + a


def container_in_container(a, x):
    d = {"t": (a, x)}
    t = d["t"]
    return t[0] * np.sum(t[1])


def list_of_tuples(a, b):
    l = [(a, b), (b, a * a)]
    s = 0.0
    for p, q in l:
        s = s + p * q
    return s


def tuple_returned_by_expression(x):
    pair = (np.sum(x), np.sum(x * x))
    return pair[0] * pair[1]


@may_refuse("dict.update changes the dict in place")
def dict_update(a, b):
    d = {"p": a}
    d.update({"q": a * b})
    return d["p"] * d["q"]


@may_refuse("list.extend changes the list in place")
def list_extend(a, b):
    l = [a]
    l.extend([b, a * b])
    return l[0] + l[1] * l[2]
