// libFuzzer's driver, called from the harness's own entry point: SwiftPM names an
// executable's entry point <module>_main and links it as main, so libFuzzer's main is unused.
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
