/*
 * layout.c (trampoline catalogue): the layout table, what the compiler computed, for the TypeScript layout test.
 * See ../denocat.h for the API and internal.h for the shared data.
 */
#include "internal.h"

#include <stddef.h>

/* ------------------------------------------------------------------------------------------ */
/* Layout table: what the compiler computed, for the TypeScript layout test.                  */

#define LAYOUT_SIZE(T, n) {"sizeof." #T, (uint32_t)sizeof(T)},
#define LAYOUT_OFFSET(T, f, off) {#T "." #f, (uint32_t)offsetof(T, f)},
/* "hook.<name as users write it>": the number the compiler gave DENOCAT_HOOK_<MACRO>. */
#define LAYOUT_HOOK(MACRO, field, name, number) {"hook." #name, (uint32_t)DENOCAT_HOOK_##MACRO},
static const denocat_layout_entry layout_table[] = {
    DENOCAT_STRUCT_SIZES(LAYOUT_SIZE) DENOCAT_FIELD_OFFSETS(LAYOUT_OFFSET)
    {"const.MAX_MECHANISMS", DENOCAT_MAX_MECHANISMS},
    {"const.MAX_FIELDS", DENOCAT_MAX_FIELDS},
    {"const.MAX_IONS", DENOCAT_MAX_IONS},
    {"const.MAX_RANDOM", DENOCAT_MAX_RANDOM},
    {"const.MAX_NAME", DENOCAT_MAX_NAME},
    {"const.MAX_UNIT", DENOCAT_MAX_UNIT},
    {"const.EVENT_CAPACITY", DENOCAT_EVENT_CAPACITY},
    {"const.ABI_0_6", DENOCAT_ABI_0_6},
    {"const.ABI_0_7", DENOCAT_ABI_0_7},
    DENOCAT_HOOKS(LAYOUT_HOOK)
    {"section.global", DENOCAT_SECTION_GLOBAL},
    {"section.state", DENOCAT_SECTION_STATE},
    {"section.parameter", DENOCAT_SECTION_PARAMETER},
    {"mech.is_linear", DENOCAT_MECH_IS_LINEAR},
    {"mech.has_post_events", DENOCAT_MECH_HAS_POST_EVENTS},
    {"ion.write_int", DENOCAT_ION_WRITE_INT},
    {"ion.write_ext", DENOCAT_ION_WRITE_EXT},
    {"ion.read_int", DENOCAT_ION_READ_INT},
    {"ion.read_ext", DENOCAT_ION_READ_EXT},
    {"ion.use_diff", DENOCAT_ION_USE_DIFF},
    {"ion.write_rev", DENOCAT_ION_WRITE_REV},
    {"ion.read_rev", DENOCAT_ION_READ_REV},
    {"ion.read_valence", DENOCAT_ION_READ_VALENCE},
    {"ion.verify_valence", DENOCAT_ION_VERIFY_VALENCE},
    {"dispatch.rebind", DENOCAT_DISPATCH_REBIND},
    {"call.slot", DENOCAT_CALL_SLOT},
    {"call.hook", DENOCAT_CALL_HOOK},
    {"call.instance", DENOCAT_CALL_INSTANCE},
    {"call.count", DENOCAT_CALL_COUNT},
    {"failure.hook_threw", DENOCAT_FAILURE_HOOK_THREW},
    {"failure.foreign_thread", DENOCAT_FAILURE_FOREIGN_THREAD},
    {"failure.not_installed", DENOCAT_FAILURE_NOT_INSTALLED},
    {"failure.reentered", DENOCAT_FAILURE_REENTERED},
    {NULL, 0},
};

const denocat_layout_entry* denocat_layout_table(void) { return layout_table; }
