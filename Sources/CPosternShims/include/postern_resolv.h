#ifndef POSTERN_RESOLV_H
#define POSTERN_RESOLV_H
// MX lookups through libresolv: its ns_* accessors are macros Swift cannot call.

typedef struct {
    int preference;
    char host[256];
} postern_mx_record;

/// Looks up the MX records of `domain`. Returns how many were written to `out` (0: the
/// domain exists but has no MX), -1 on a temporary failure, -2 when the domain does not exist.
int postern_mx_lookup(const char *domain, postern_mx_record *out, int max);
#endif
