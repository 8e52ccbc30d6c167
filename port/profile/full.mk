# port/profile/full.mk - the full build (PROFILE=full, the default): every
# feature of src/options.h in, as its defaults say. Budget (make cross):
# 384 KB stripped on aarch64 and mipsel (SIZE_BUDGET_KB_full in the
# toolchain files).
PROFILE_CFLAGS :=
