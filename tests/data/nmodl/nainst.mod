: Written for tests/modcc_test.ts: a sodium current with instantaneous activation minf^3. minf is an
: ASSIGNED value that the PROCEDURE rates sets in INITIAL and again in DERIVATIVE, and BREAKPOINT
: reads it (the commonest ModelDB pattern): each step BREAKPOINT sees the value DERIVATIVE left.
NEURON {
    SUFFIX nainst
    USEION na READ ena WRITE ina
    RANGE gbar, minf
}
PARAMETER {
    gbar = 0.02 (S/cm2)
}
STATE { h }
ASSIGNED { minf hinf htau (ms) }
BREAKPOINT {
    SOLVE states METHOD cnexp
    ina = gbar*minf*minf*minf*h*(v - ena)
}
INITIAL {
    rates(v)
    h = hinf
}
DERIVATIVE states {
    rates(v)
    h' = (hinf - h)/htau
}
PROCEDURE rates(u (mV)) {
    minf = 1/(1 + exp(-(u + 38)/7))
    hinf = 1/(1 + exp((u + 65)/6))
    htau = 0.5 + 8*exp(-((u + 60)/15)^2)
}
