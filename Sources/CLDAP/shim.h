// OpenLDAP's client library (Debian libldap-dev); nothing here but the headers.
#include <lber.h>
#include <ldap.h>
