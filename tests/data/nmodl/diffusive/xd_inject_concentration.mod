TITLE denocat test: events that add a concentration to a diffusive concentration

COMMENT
Written for denocat's tests (tests/diffusive_arbor_test.ts), which compare its import with the
builtin `inject_norm_concentration` of Arbor's default catalogue: as xd_inject_amount.mod, with
the amount also divided by a volume of the CV, area*diam/4, which INITIAL computes once.
ENDCOMMENT

NEURON {
    POINT_PROCESS xd_inject_concentration
    USEION x WRITE xd
    RANGE alpha, pending
}

PARAMETER {
    alpha = 200
    diam
}

ASSIGNED {
    pending
    vol
}

INITIAL {
    pending = 0
    vol = area*diam/4
}

BREAKPOINT {
    xd = xd + pending*area/1000/vol
    pending = 0
}

NET_RECEIVE(w) {
    pending = alpha*w
}
