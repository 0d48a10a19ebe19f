: A non-linear binding scheme: a second-order reaction and a dimer (denocat test file).
: METHOD sparse takes modcc's three Newton iterations here.
NEURON {
  SUFFIX bind2
  NONSPECIFIC_CURRENT i
  RANGE g, e
}
PARAMETER {
  g = 0.001 (S/cm2)
  kon = 0.5 (/ms)
  koff = 0.1 (/ms)
  e = -60 (mV)
}
STATE { R L RL }
BREAKPOINT {
  SOLVE binding METHOD sparse
  i = g*RL*(v - e)
}
INITIAL {
  R = 1
  L = 0.8
  RL = 0
}
KINETIC binding {
  ~ R + L <-> RL (kon*exp(v/50), koff)
  ~ 2 L <-> R (0.01, 0.02)
}
