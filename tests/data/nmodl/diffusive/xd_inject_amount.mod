TITLE denocat test: events that add an amount to a diffusive concentration

COMMENT
Written for denocat's tests (tests/diffusive_arbor_test.ts), which compare its import with the
builtin `inject_norm_amount` of Arbor's default catalogue: as xd_inject.mod, with the amount
scaled by the area of the CV (area, in square micrometres, over 1000).
ENDCOMMENT

NEURON {
    POINT_PROCESS xd_inject_amount
    USEION x WRITE xd
    RANGE alpha, pending
}

PARAMETER {
    alpha = 200
}

ASSIGNED {
    pending
}

INITIAL {
    pending = 0
}

BREAKPOINT {
    xd = xd + pending*area/1000
    pending = 0
}

NET_RECEIVE(w) {
    pending = alpha*w
}
