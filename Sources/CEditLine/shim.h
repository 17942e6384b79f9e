#ifndef POSTERN_CEDITLINE_SHIM_H
#define POSTERN_CEDITLINE_SHIM_H
#include <stdio.h>
#include <histedit.h>
#endif
