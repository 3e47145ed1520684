/* SPDX-License-Identifier: MIT */
/* tss2-dl.h - the tpm2-tss entry points we use, reached through pointers
 * that tss2_dl_load() fills with dlopen()/dlsym(): a handler that only
 * lists keys never maps libtss2-* (nor pays their relocations at exec),
 * and one that signs maps them when it first opens the TPM.  systemd's
 * tpm2-util.c does the same with its sym_ table. */
#pragma once

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

/* X(library, function): the library is an index into tss2-dl.c's list. */
#define TSS2_DL_ESYS 0
#define TSS2_DL_MU 1
#define TSS2_DL_RC 2
#define TSS2_DL_TCTILDR 3
#define TSS2_DL_SYMBOLS(X)                                                     \
	X(TSS2_DL_ESYS, Esys_Initialize)                                       \
	X(TSS2_DL_ESYS, Esys_Finalize)                                         \
	X(TSS2_DL_ESYS, Esys_Free)                                             \
	X(TSS2_DL_ESYS, Esys_TR_SetAuth)                                       \
	X(TSS2_DL_ESYS, Esys_TR_FromTPMPublic)                                 \
	X(TSS2_DL_ESYS, Esys_TR_Close)                                         \
	X(TSS2_DL_ESYS, Esys_TR_GetName)                                       \
	X(TSS2_DL_ESYS, Esys_ReadPublic)                                       \
	X(TSS2_DL_ESYS, Esys_CreatePrimary)                                    \
	X(TSS2_DL_ESYS, Esys_Create)                                           \
	X(TSS2_DL_ESYS, Esys_Load)                                             \
	X(TSS2_DL_ESYS, Esys_Import)                                           \
	X(TSS2_DL_ESYS, Esys_Sign)                                             \
	X(TSS2_DL_ESYS, Esys_TestParms)                                        \
	X(TSS2_DL_ESYS, Esys_ReadClock)                                        \
	X(TSS2_DL_ESYS, Esys_ObjectChangeAuth)                                 \
	X(TSS2_DL_ESYS, Esys_FlushContext)                                     \
	X(TSS2_DL_ESYS, Esys_GetCapability)                                    \
	X(TSS2_DL_ESYS, Esys_ContextSave)                                      \
	X(TSS2_DL_ESYS, Esys_ContextLoad)                                      \
	X(TSS2_DL_ESYS, Esys_StartAuthSession)                                 \
	X(TSS2_DL_ESYS, Esys_TRSess_SetAttributes)                             \
	X(TSS2_DL_ESYS, Esys_PolicyPCR)                                        \
	X(TSS2_DL_ESYS, Esys_PolicyAuthValue)                                  \
	X(TSS2_DL_ESYS, Esys_PolicyCommandCode)                                \
	X(TSS2_DL_ESYS, Esys_PCR_Read)                                         \
	X(TSS2_DL_MU, Tss2_MU_TPMS_CONTEXT_Marshal)                            \
	X(TSS2_DL_MU, Tss2_MU_TPMS_CONTEXT_Unmarshal)                          \
	X(TSS2_DL_MU, Tss2_MU_TPMS_ECC_POINT_Marshal)                          \
	X(TSS2_DL_MU, Tss2_MU_TPMT_SENSITIVE_Marshal)                          \
	X(TSS2_DL_RC, Tss2_RC_Decode)                                          \
	X(TSS2_DL_TCTILDR, Tss2_TctiLdr_Initialize)                            \
	X(TSS2_DL_TCTILDR, Tss2_TctiLdr_Finalize)

#define TSS2_DL_DECLARE(lib, name) extern __typeof__(name) *sym_##name;
TSS2_DL_SYMBOLS(TSS2_DL_DECLARE)
#undef TSS2_DL_DECLARE

/* Load the libraries and fill every sym_ pointer (once; later calls are
 * free).  TA_ERR_TSS2_MISSING, with a warning naming the library and the
 * loader's reason, when one cannot be had. */
int tss2_dl_load(void);
/* Map the TCTI library a TCTI configuration ("swtpm:...", "device:...")
 * names, for good (a failure is left for the TCTI loader to report). */
void tss2_dl_preload_tcti(const char *conf);
/* True once they are loaded (for tests: a listing must not load them). */
bool tss2_dl_loaded(void);
