"""Prints, as JSON, the names python3-nmodl's parser declares in each .mod file given: STATE and
PARAMETER names, USEION read/write sets and NONSPECIFIC_CURRENTs (for tests/nmodl_crosscheck_test.ts)."""
import json
import sys

import nmodl
from nmodl import ast, symtab, visitor

result = {}
for path in sys.argv[1:]:
    try:
        program = nmodl.NmodlDriver().parse_file(path)
        symtab.SymtabVisitor().visit_program(program)
        table = program.get_symbol_table()

        def names(kind):
            return sorted({s.get_name() for s in table.get_variables_with_properties(kind)})

        ions = {}
        for node in visitor.AstLookupVisitor().lookup(program, ast.AstNodeType.USEION):
            ion = ions.setdefault(node.name.get_node_name(), {"read": [], "write": []})
            ion["read"] += [r.get_node_name() for r in node.readlist]
            ion["write"] += [w.get_node_name() for w in node.writelist]
        result[path] = {
            "states": names(symtab.NmodlType.state_var),
            "parameters": names(symtab.NmodlType.param_assign),
            "nonspecific": names(symtab.NmodlType.nonspecific_cur_var),
            "ions": {k: {"read": sorted(v["read"]), "write": sorted(v["write"])} for k, v in ions.items()},
        }
    except Exception as error:  # a file python3-nmodl cannot parse is reported, not fatal
        result[path] = {"error": str(error)}
print(json.dumps(result))
