# port/toolchain/mips16.mk - what the MIPS32r2 toolchain files share
# (mipsel-linux-musl.mk, mips-linux-musl.mk); included by them after they
# set TARGET, MUSL_CC, GNU, QEMU and any size budget, and includes musl.mk.
#
# MIPS16e: the compressed instruction set every MIPS32r2 router core has
# (24Kc in ath79, 1004Kc in MT7621, 74Kc); OpenWrt builds packages with it
# too (CONFIG_USE_MIPS16). About 20 % less code than plain MIPS32;
# -minterlink-compressed lets it call musl's plain MIPS32 code.
# -mno-abicalls: a static binary needs no position-independent calls (each
# PIC call reloads $gp and goes through the GOT); 55 KB less on mipsel. ld
# warns "linking abicalls files with non-abicalls files" (musl's libc.a is
# PIC) and puts a small stub before each libc function that sets up $t9.
# mips16-keep-stubs.ld says why MIPS16 without abicalls needs it.
mips16_dir := $(dir $(lastword $(MAKEFILE_LIST)))
ARCH_CFLAGS ?= -mips32r2 -mips16 -minterlink-compressed -mno-abicalls -fno-pic
ARCH_LDFLAGS ?= -Wl,-T,$(mips16_dir)mips16-keep-stubs.ld
include $(mips16_dir)musl.mk
