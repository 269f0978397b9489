# isolaConfig.cmake - find_package(isola) for embedders: the static library
# as the imported target isola::isola (headers included), and its one
# dependency, the platform's threads.
include(CMakeFindDependencyMacro)
find_dependency(Threads)
include(${CMAKE_CURRENT_LIST_DIR}/isolaTargets.cmake)
