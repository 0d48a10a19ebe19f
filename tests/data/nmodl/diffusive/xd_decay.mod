TITLE denocat test: first-order loss of a diffusive concentration

COMMENT
Written for denocat's tests (tests/diffusive_arbor_test.ts), which compare its import with the
builtin `decay` of Arbor's default catalogue: the same equation, Xd of ion x relaxing to 0 at the
rate tau (per ms), integrated by cnexp.
ENDCOMMENT

NEURON {
    SUFFIX xd_decay
    USEION x WRITE xd
    RANGE tau
}

PARAMETER {
    tau = 5
}

BREAKPOINT {
    SOLVE loss METHOD cnexp
}

DERIVATIVE loss {
    xd' = -tau*xd
}
