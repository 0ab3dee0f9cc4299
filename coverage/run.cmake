# cmake -DBUILD=... -DSOURCE=... -DOUT=... -DGCOVR=... -DCTEST=... -DPYTHON=...
#       -DLINES=... -DBRANCHES=... -P run.cmake
# The coverage target's steps: fresh counters, every test, gcovr's
# reports, the gate.  A failing test fails the target too (after the
# reports are written: they show what the failing run reached).
foreach(f index.html coverage.xml coverage.json summary.json)
  file(REMOVE ${OUT}/${f})
endforeach()
file(GLOB old ${OUT}/index.*.html ${OUT}/index.css)
if(old)
  file(REMOVE ${old})
endif()
file(MAKE_DIRECTORY ${OUT})
file(GLOB_RECURSE gcda ${BUILD}/*.gcda)
if(gcda)
  file(REMOVE ${gcda})
endif()

# The shell doubles on fixtures and generated layouts, and QEMU's
# vmcheck, kernels and powercut, measure the harness, not ref/ (their forks
# are shell scripts, or the library run inside a guest, whose counters
# never reach this tree), and take minutes: the two test runs before this
# one run them.
execute_process(COMMAND ${CTEST} --test-dir ${BUILD} --output-on-failure
  -E "^(doubles|doubles_generate|vmcheck|kernels|powercut)$"
  RESULT_VARIABLE tests_rc)
execute_process(COMMAND ${GCOVR} --root ${SOURCE} --object-directory ${BUILD}
    --filter ${SOURCE}/ref/ --exclude-unreachable-branches --exclude-throw-branches
    --html-details ${OUT}/index.html --xml ${OUT}/coverage.xml
    --json ${OUT}/coverage.json --json-summary ${OUT}/summary.json
  RESULT_VARIABLE gcovr_rc)
if(NOT gcovr_rc EQUAL 0)
  message(FATAL_ERROR "gcovr failed (${gcovr_rc})")
endif()
execute_process(COMMAND ${PYTHON} ${SOURCE}/coverage/gate.py ${OUT} ${LINES} ${BRANCHES}
  RESULT_VARIABLE gate_rc)
if(NOT tests_rc EQUAL 0)
  message(FATAL_ERROR "coverage: tests failed (ctest: ${tests_rc}); the figures above come from a failing run")
endif()
if(NOT gate_rc EQUAL 0)
  message(FATAL_ERROR "coverage: under the gate")
endif()
