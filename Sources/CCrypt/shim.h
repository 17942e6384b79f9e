#ifndef POSTERN_CCRYPT_SHIM_H
#define POSTERN_CCRYPT_SHIM_H
#include <crypt.h>
#endif
