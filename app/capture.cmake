# Writes the standard output of `EXE ARG` to OUT; fails the build if the command fails.
execute_process(COMMAND ${EXE} ${ARG} OUTPUT_FILE ${OUT}.tmp RESULT_VARIABLE status)
if(NOT status EQUAL 0)
    file(REMOVE ${OUT}.tmp)
    message(FATAL_ERROR "${EXE} ${ARG} failed: ${status}")
endif()
file(RENAME ${OUT}.tmp ${OUT})
