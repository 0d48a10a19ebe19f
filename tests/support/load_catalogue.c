/*
 * The smallest Arbor-like loader (dlopen, then get_catalogue with count preset to -1, as
 * arbor/mechcat.cpp does), for tests/simd_test.ts to run under qemu-x86_64 with an older CPU
 * model: a catalogue built for a newer CPU must refuse there, not die with SIGILL.
 *
 *   load_catalogue <catalogue.so>   prints "count <n>, NULL" or "count <n>, records"
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: load_catalogue <catalogue.so>\n");
    return 2;
  }
  void* library = dlopen(argv[1], RTLD_LAZY | RTLD_LOCAL);
  if (library == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 2;
  }
  void* symbol = dlsym(library, "get_catalogue");
  if (symbol == NULL) {
    fprintf(stderr, "no get_catalogue\n");
    return 2;
  }
  void* (*get_catalogue)(int*);
  memcpy(&get_catalogue, &symbol, sizeof get_catalogue);
  int count = -1;
  void* records = get_catalogue(&count);
  printf("count %d, %s\n", count, records == NULL ? "NULL" : "records");
  return 0;
}
