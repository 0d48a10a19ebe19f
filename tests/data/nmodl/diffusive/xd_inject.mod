TITLE denocat test: events that add to a diffusive concentration

COMMENT
Written for denocat's tests (tests/diffusive_arbor_test.ts), which compare its import with the
builtin `inject` of Arbor's default catalogue: an event of weight w sets the amount pending to
alpha*w, and the next BREAKPOINT adds it to Xd of ion x (in mM, unnormalised) and clears it.
ENDCOMMENT

NEURON {
    POINT_PROCESS xd_inject
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
    xd = xd + pending
    pending = 0
}

NET_RECEIVE(w) {
    pending = alpha*w
}
