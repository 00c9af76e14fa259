// Standalone Asio for the proxy's event loop. Only the proxy's own .cc files
// (and their tests) include this: the public header proxy.h does not, so that
// the rest of cordon compiles without Asio's templates.
#pragma once

#ifndef ASIO_STANDALONE
#define ASIO_STANDALONE
#endif
#ifndef ASIO_NO_DEPRECATED
#define ASIO_NO_DEPRECATED
#endif
#include <asio.hpp>
