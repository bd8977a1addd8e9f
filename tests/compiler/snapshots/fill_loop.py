def dfill_loop_dx(x):
    _stack = []
    y = np.zeros_like(x)
    range_i = range(x.shape[0])
    for i in range_i:
        x_item = x[i]
        x_item_times_x_item = x_item * x_item
        _stack.append(_rt.index_value(y, i))
        y[i] = x_item_times_x_item
    # Grad of: return np.sum(y)
    dy = _rt.expand_reduced(1.0, y)
    dx = _rt.ZERO
    # Grad of: for i in range(x.shape[0]):
    for i in reversed(range_i):
        x_item = x[i]
        x_item_times_x_item = x_item * x_item
        # Grad of: y[i] = x[i] * x[i]
        dy, dx_item_times_x_item = _rt.setitem_adj(dy, y, i, x_item_times_x_item)
        _rt.restore_item(y, i, _stack.pop())
        dx_item = _rt.unbroadcast(dx_item_times_x_item * x_item, x_item)
        dx_item = dx_item + dx_item
        dx = _rt.add_at_inplace(dx, x, i, dx_item)
    return _rt.instantiate(dx, x)
