#ifndef HERALD_C_LIBPQ_SHIM_H
#define HERALD_C_LIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
