#pragma once
/// @file
/// TASKFARM_API marks what libtaskfarm.so exports: only what include/taskfarm/ declares.
/// The library is built with hidden visibility, so nothing else leaves it.

/// Exported from libtaskfarm.so (default visibility).
#define TASKFARM_API __attribute__((visibility("default")))
