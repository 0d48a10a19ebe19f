: Written for tests/modcc_test.ts: an ion-current writer (ica) with one gate whose rates use exprelr.
NEURON {
    SUFFIX cachan
    USEION ca READ eca WRITE ica
    RANGE gbar
}
PARAMETER { gbar = 0.001 (S/cm2) }
STATE { m }
ASSIGNED { q10 }
INITIAL {
    q10 = 2.3^((celsius - 21)/10)
    m = alpha(v)/(alpha(v) + beta(v))
}
BREAKPOINT {
    SOLVE states METHOD cnexp
    ica = gbar*m*m*(v - eca)
}
DERIVATIVE states {
    LOCAL a, b
    a = alpha(v)
    b = beta(v)
    m' = q10*(a - m*(a + b))
}
FUNCTION alpha(u) { alpha = 0.5*exprelr(-(u + 27)/3.8) }
FUNCTION beta(u) { beta = 0.94*exp(-(u + 75)/17) }
