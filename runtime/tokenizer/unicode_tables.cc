// The Unicode tables behind runtime/tokenizer/unicode.h. The data is generated into
// unicode_tables.inc by tools/gen_unicode_tables (see the command at the top of that file).
#include "runtime/tokenizer/unicode_tables.inc"  // NOLINT(build/include)
