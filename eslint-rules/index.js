// @ts-check
// Apex's own lint rules: only the rules no maintained plugin offers (architecture.md, "Rules that keep it SSOT").
import noBannedNames from "./no-banned-names.js";
import noMetadataWrites from "./no-metadata-writes.js";
import noModuleState from "./no-module-state.js";
import noNamedValueLiterals from "./no-named-value-literals.js";

export default {
  meta: { name: "apex" },
  rules: {
    "no-banned-names": noBannedNames,
    "no-metadata-writes": noMetadataWrites,
    "no-module-state": noModuleState,
    "no-named-value-literals": noNamedValueLiterals,
  },
};
