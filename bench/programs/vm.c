/* vm: an interpreter inside the interpreter. A tiny register bytecode
 * machine (switch dispatch, 16 registers, fixed two-word instructions) runs
 * two assembled programs: an LCG/branch mixing loop and a nested gcd loop.
 * Measures indirect branches, unpredictable dispatch and small loads, the
 * profile of every scripting-language guest. */
#include "bench.h"

enum vm_op {
    VM_HALT,  /* return r[a] */
    VM_LOADI, /* r[a] = imm */
    VM_MOV,   /* r[a] = r[b] */
    VM_ADD,   /* r[a] = r[b] + r[c] */
    VM_SUB,
    VM_MUL,
    VM_REMU,  /* r[a] = r[b] % r[c]  (r[c] != 0 by construction) */
    VM_AND,
    VM_XOR,
    VM_SHRI,  /* r[a] = r[b] >> imm */
    VM_ADDI,  /* r[a] = r[b] + imm */
    VM_LTU,   /* r[a] = r[b] < r[c] */
    VM_JMP,   /* pc = imm */
    VM_JZ,    /* if r[a] == 0: pc = imm */
    VM_JNZ,
};

#define VM_CODE_MAX 128

struct vm_code {
    uint32_t words[VM_CODE_MAX * 2];
    int count; /* instructions */
};

int vm_loop_iters = 26000000;
int vm_gcd_n = 680;

static int emit(struct vm_code *code, enum vm_op op, int a, int b, int c, uint32_t imm)
{
    int at = code->count++;
    code->words[2 * at] = (uint32_t)op | (uint32_t)a << 8 | (uint32_t)b << 16 | (uint32_t)c << 24;
    code->words[2 * at + 1] = imm;
    return at;
}

static void patch(struct vm_code *code, int at, int target)
{
    code->words[2 * at + 1] = (uint32_t)target;
}

static uint32_t vm_execute(const struct vm_code *code)
{
    uint32_t r[16] = { 0 };
    const uint32_t *words = code->words;
    uint32_t pc = 0;
    for (;;) {
        uint32_t insn = words[2 * pc];
        uint32_t imm = words[2 * pc + 1];
        uint32_t a = (insn >> 8) & 15, b = (insn >> 16) & 15, c = (insn >> 24) & 15;
        pc++;
        switch ((enum vm_op)(insn & 0xff)) {
        case VM_HALT: return r[a];
        case VM_LOADI: r[a] = imm; break;
        case VM_MOV: r[a] = r[b]; break;
        case VM_ADD: r[a] = r[b] + r[c]; break;
        case VM_SUB: r[a] = r[b] - r[c]; break;
        case VM_MUL: r[a] = r[b] * r[c]; break;
        case VM_REMU: r[a] = r[b] % r[c]; break;
        case VM_AND: r[a] = r[b] & r[c]; break;
        case VM_XOR: r[a] = r[b] ^ r[c]; break;
        case VM_SHRI: r[a] = r[b] >> (imm & 31); break;
        case VM_ADDI: r[a] = r[b] + imm; break;
        case VM_LTU: r[a] = r[b] < r[c]; break;
        case VM_JMP: pc = imm; break;
        case VM_JZ: if (r[a] == 0) pc = imm; break;
        case VM_JNZ: if (r[a] != 0) pc = imm; break;
        default: return 0xdeadu; /* unreachable with the code below */
        }
    }
}

/* for i in 0..iters: x = x*1103515245 + i; acc = odd(x) ? acc + (x >> 3) : acc ^ x */
static void assemble_mix(struct vm_code *code, uint32_t iters)
{
    code->count = 0;
    emit(code, VM_LOADI, 0, 0, 0, 0);           /* i */
    emit(code, VM_LOADI, 1, 0, 0, iters);       /* limit */
    emit(code, VM_LOADI, 2, 0, 0, 12345);       /* x */
    emit(code, VM_LOADI, 3, 0, 0, 0);           /* acc */
    emit(code, VM_LOADI, 4, 0, 0, 1103515245u); /* multiplier */
    emit(code, VM_LOADI, 5, 0, 0, 1);
    int loop = emit(code, VM_MUL, 2, 2, 4, 0);
    emit(code, VM_ADD, 2, 2, 0, 0);
    emit(code, VM_AND, 6, 2, 5, 0);
    int to_even = emit(code, VM_JZ, 6, 0, 0, 0);
    emit(code, VM_SHRI, 7, 2, 0, 3);
    emit(code, VM_ADD, 3, 3, 7, 0);
    int to_next = emit(code, VM_JMP, 0, 0, 0, 0);
    int even = emit(code, VM_XOR, 3, 3, 2, 0);
    int next = emit(code, VM_ADDI, 0, 0, 0, 1);
    emit(code, VM_LTU, 6, 0, 1, 0);
    emit(code, VM_JNZ, 6, 0, 0, (uint32_t)loop);
    emit(code, VM_HALT, 3, 0, 0, 0);
    patch(code, to_even, even);
    patch(code, to_next, next);
}

/* sum over 1 <= p, q <= n of gcd(p * 7919 + q, q), by Euclid's remainders */
static void assemble_gcd(struct vm_code *code, uint32_t n)
{
    code->count = 0;
    emit(code, VM_LOADI, 0, 0, 0, 1);    /* p */
    emit(code, VM_LOADI, 1, 0, 0, n + 1); /* bound */
    emit(code, VM_LOADI, 2, 0, 0, 0);    /* sum */
    emit(code, VM_LOADI, 3, 0, 0, 7919);
    int outer = emit(code, VM_LOADI, 4, 0, 0, 1); /* q */
    int inner = emit(code, VM_MUL, 5, 0, 3, 0);   /* u = p * 7919 + q */
    emit(code, VM_ADD, 5, 5, 4, 0);
    emit(code, VM_MOV, 6, 4, 0, 0); /* v = q */
    int euclid = emit(code, VM_REMU, 7, 5, 6, 0);
    emit(code, VM_MOV, 5, 6, 0, 0);
    emit(code, VM_MOV, 6, 7, 0, 0);
    emit(code, VM_JNZ, 6, 0, 0, (uint32_t)euclid);
    emit(code, VM_ADD, 2, 2, 5, 0);
    emit(code, VM_ADDI, 4, 4, 0, 1);
    emit(code, VM_LTU, 8, 4, 1, 0);
    emit(code, VM_JNZ, 8, 0, 0, (uint32_t)inner);
    emit(code, VM_ADDI, 0, 0, 0, 1);
    emit(code, VM_LTU, 8, 0, 1, 0);
    emit(code, VM_JNZ, 8, 0, 0, (uint32_t)outer);
    emit(code, VM_HALT, 2, 0, 0, 0);
}

int run(void)
{
    static struct vm_code code;
    uint32_t sum = BENCH_CHECKSUM_SEED;
    assemble_mix(&code, (uint32_t)vm_loop_iters);
    sum = bench_mix(sum, vm_execute(&code));
    assemble_gcd(&code, (uint32_t)vm_gcd_n);
    sum = bench_mix(sum, vm_execute(&code));
    return (int)sum;
}
