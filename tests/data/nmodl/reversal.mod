: Written for denocat's tests: the Nernst potential of the ion bound by a derived name
: ("nernst/na"), in Arbor's dialect (VALENCE names the valence; BREAKPOINT writes eX).

NEURON {
    SUFFIX reversal
    USEION x READ xi, xo WRITE ex VALENCE z
    GLOBAL R, F
    RANGE coeff
}

PARAMETER {
    R = 8.31446261815324 (joule/kelvin/mole)
    F = 96485.3321233100184 (coulomb/mole)
}

ASSIGNED { coeff (mV) }

INITIAL {
    : RT/(zF), in mV
    coeff = R*(celsius + 273.15)/(z*F)*1000
}

BREAKPOINT {
    ex = coeff*log(xo/xi)
}
