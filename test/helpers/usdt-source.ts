/** Shared by the fuzz tests: a C program with USDT notes that needs no sys/sdt.h. */
/** A small program with two stapsdt notes written by hand (no sys/sdt.h needed). */
export const USDT_SRC = `
#define NOTE(prov, name, args, ...) __asm__ __volatile__( \\
  "990: nop\\n" \\
  ".pushsection .note.stapsdt,\\"?\\",\\"note\\"\\n" \\
  ".balign 4\\n" \\
  ".4byte 992f-991f, 994f-993f, 3\\n" \\
  "991: .asciz \\"stapsdt\\"\\n" \\
  "992: .balign 4\\n" \\
  "993: .8byte 990b\\n" \\
  ".8byte _.stapsdt.base\\n" \\
  ".8byte 0\\n" \\
  ".asciz \\"" prov "\\"\\n" \\
  ".asciz \\"" name "\\"\\n" \\
  ".asciz \\"" args "\\"\\n" \\
  "994: .balign 4\\n" \\
  ".popsection\\n" \\
  ".ifndef _.stapsdt.base\\n" \\
  ".pushsection .stapsdt.base,\\"aG\\",\\"progbits\\",.stapsdt.base,comdat\\n" \\
  ".weak _.stapsdt.base\\n" \\
  ".hidden _.stapsdt.base\\n" \\
  "_.stapsdt.base: .space 1\\n" \\
  ".size _.stapsdt.base, 1\\n" \\
  ".popsection\\n" \\
  ".endif\\n" :: __VA_ARGS__)
int counter = 3;
__attribute__((noinline)) int work(int a, long b) {
  NOTE("fz", "two", "-4@%0 8@%1", "r"(a), "r"(b));
  NOTE("fz", "none", "");
  return a + (int)b + counter;
}
int main(int argc, char **argv) { return work(argc, (long)argv) == 7; }
`;
