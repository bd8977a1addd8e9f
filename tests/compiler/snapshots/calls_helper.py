def dcalls_helper_dx(x):
    y, y_saved = affine_fwd(x)
    affine_y, affine_y_saved = affine_fwd(y, scale=0.5)
    affine_y_times_x = affine_y * x
    # Grad of: return np.sum(_affine(y, scale=0.5) * x)
    daffine_y_times_x = _rt.expand_reduced(1.0, affine_y_times_x)
    daffine_y = _rt.unbroadcast(daffine_y_times_x * x, affine_y)
    dx = _rt.unbroadcast(daffine_y_times_x * affine_y, x)
    dy = affine_bwd(affine_y_saved, daffine_y)
    # Grad of: y = _affine(x)
    dx_part = affine_bwd(y_saved, dy)
    dx = dx + dx_part
    return dx
