: A voltage process of my own (denocat test file): it pulls v back into a window whose edges follow
: a slow state, assigning v in BREAKPOINT as modcc lets a VOLTAGE_PROCESS do.
NEURON {
    VOLTAGE_PROCESS vwindow
    RANGE top, bottom
}
PARAMETER { top = 10 (mV) bottom = -75 (mV) tau = 5 (ms) }
STATE { w }
INITIAL { w = 0 }
BREAKPOINT {
    SOLVE slow METHOD cnexp
    if (v > top - w) { v = top - w }
    if (v < bottom) { v = bottom }
}
DERIVATIVE slow { w' = (0.1*(v + 65) - w)/tau }
