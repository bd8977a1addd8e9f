def dpower_loop_da(a, b):
    _stack = []
    c = a * b
    range2 = range(3)
    for _ in range2:
        c_times_a = c * a
        _stack.append(c)
        c = c_times_a + b
    # Grad of: return c
    dc = 1.0
    da = _rt.ZERO
    # Grad of: for _ in range(3):
    for _ in reversed(range2):
        # Grad of: c = c * a + b
        dc_times_a = dc
        c = _stack.pop()
        dc = dc_times_a * a
        da = da + dc_times_a * c
    # Grad of: c = a * b
    da = da + dc * b
    return da
