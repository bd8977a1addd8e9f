def ddamped_while_dx(x, n):
    cond = None
    _stack = []
    i = 0
    n_iter = 0
    while i < n:
        _stack.append(cond)
        cond = x > 1.0
        if cond:
            pass
        _stack.append(x)
        x = x * 0.9
        i = i + 1
        n_iter = n_iter + 1
    # Grad of: return s
    dx = _rt.ZERO
    # Grad of: while i < n:
    for _ in range(n_iter):
        # Grad of: x = x * 0.9
        dx_in = dx
        x = _stack.pop()
        if dx_in is not _rt.ZERO:
            dx = dx_in * 0.9
        else:
            dx = _rt.ZERO
        if cond:
            # Grad of: s = s + x * x
            dx = dx + 1.0 * x
            dx = dx + 1.0 * x
        else:
            # Grad of: s = s - x
            dx = dx - 1.0
        cond = _stack.pop()
    return dx
