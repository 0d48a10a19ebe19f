"""The ctypes mirror of c/arbor_abi.h (ABI 0.7, x86_64/aarch64 LP64) that the Python test drivers use.

Used by the end-to-end ctypes driver of tests/python_lifetime_test.ts, which loads a catalogue as Arbor's
load_catalogue does, without Arbor. Class and field names are the C names, so that layout() can be compared
entry by entry with the C library's layout table: tests/mirrors_test.ts fails when they drift apart.
"""
import ctypes as C

f64p = C.POINTER(C.c_double)
i32p = C.POINTER(C.c_int)


class arb_field_info(C.Structure):
    _fields_ = [("name", C.c_char_p), ("unit", C.c_char_p), ("default_value", C.c_double),
                ("range_low", C.c_double), ("range_high", C.c_double)]


class arb_mechanism_type(C.Structure):
    _fields_ = [("abi_version", C.c_ulong), ("fingerprint", C.c_char_p), ("name", C.c_char_p),
                ("kind", C.c_uint32), ("is_linear", C.c_bool), ("has_post_events", C.c_bool),
                ("globals", C.POINTER(arb_field_info)), ("n_globals", C.c_uint32),
                ("state_vars", C.POINTER(arb_field_info)), ("n_state_vars", C.c_uint32),
                ("parameters", C.POINTER(arb_field_info)), ("n_parameters", C.c_uint32),
                ("ions", C.c_void_p), ("n_ions", C.c_uint32),
                ("random_variables", C.c_void_p), ("n_random_variables", C.c_uint32)]


# The hooks take a ppack pointer (and apply_events also an event stream pointer).
ppack_hook = C.CFUNCTYPE(None, C.c_void_p)
events_hook = C.CFUNCTYPE(None, C.c_void_p, C.c_void_p)


class arb_mechanism_interface(C.Structure):
    _fields_ = [("backend", C.c_uint32), ("partition_width", C.c_uint32), ("alignment", C.c_uint32),
                ("init_mechanism", ppack_hook), ("compute_currents", ppack_hook),
                ("apply_events", events_hook), ("advance_state", ppack_hook), ("write_ions", ppack_hook),
                ("post_event", ppack_hook)]


class arb_mechanism(C.Structure):
    _fields_ = [("type", C.CFUNCTYPE(arb_mechanism_type)),
                ("i_cpu", C.CFUNCTYPE(C.POINTER(arb_mechanism_interface))),
                ("i_gpu", C.CFUNCTYPE(C.POINTER(arb_mechanism_interface)))]


class arb_ion_info_v07(C.Structure):
    _fields_ = [("name", C.c_char_p), ("write_int_concentration", C.c_bool),
                ("write_ext_concentration", C.c_bool), ("read_int_concentration", C.c_bool),
                ("read_ext_concentration", C.c_bool), ("use_diff_concentration", C.c_bool),
                ("write_rev_potential", C.c_bool), ("read_rev_potential", C.c_bool),
                ("read_valence", C.c_bool), ("verify_valence", C.c_bool), ("expected_valence", C.c_int)]


class arb_ion_state_v07(C.Structure):
    _fields_ = [("current_density", f64p), ("reversal_potential", f64p), ("internal_concentration", f64p),
                ("external_concentration", f64p), ("diffusive_concentration", f64p), ("ionic_charge", f64p),
                ("index", i32p)]


class arb_deliverable_event_data(C.Structure):
    _fields_ = [("mech_index", C.c_uint32), ("weight", C.c_float)]


class arb_deliverable_event_stream(C.Structure):
    _fields_ = [("begin", C.c_void_p), ("end", C.c_void_p)]


class arb_constraint_partition(C.Structure):
    _fields_ = [("n_contiguous", C.c_uint32), ("n_constant", C.c_uint32), ("n_independent", C.c_uint32),
                ("n_none", C.c_uint32), ("contiguous", C.c_void_p), ("constant", C.c_void_p),
                ("independent", C.c_void_p), ("none", C.c_void_p)]


class arb_mechanism_ppack(C.Structure):
    _fields_ = [("width", C.c_uint32), ("n_detectors", C.c_int), ("vec_ci", i32p), ("dt", C.c_double),
                ("vec_v", f64p), ("vec_i", f64p), ("vec_g", f64p), ("temperature_degC", f64p),
                ("diam_um", f64p), ("area_um2", f64p), ("time_since_spike", f64p), ("node_index", i32p),
                ("peer_index", i32p), ("multiplicity", i32p), ("weight", f64p), ("mechanism_id", C.c_uint32),
                ("events", arb_deliverable_event_stream), ("index_constraints", arb_constraint_partition),
                ("parameters", C.POINTER(f64p)), ("state_vars", C.POINTER(f64p)), ("globals", f64p),
                ("ion_states", C.c_void_p), ("random_numbers", C.c_void_p)]


STRUCTS = (arb_field_info, arb_mechanism_type, arb_mechanism_interface, arb_mechanism, arb_ion_info_v07,
           arb_ion_state_v07, arb_deliverable_event_data, arb_deliverable_event_stream,
           arb_constraint_partition, arb_mechanism_ppack)


def layout() -> dict:
    """Every struct size and field offset, named as in the C library's layout table."""
    table = {}
    for struct in STRUCTS:
        table[f"sizeof.{struct.__name__}"] = C.sizeof(struct)
        for name, _ in struct._fields_:
            table[f"{struct.__name__}.{name}"] = getattr(struct, name).offset
    return table
