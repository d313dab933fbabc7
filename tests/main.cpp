// The doctest runner shared by every test suite (doctest comes from Debian's doctest-dev).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
