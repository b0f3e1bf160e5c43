/* fftw-plan.c — see fftw-plan.h. */
#include "fftw-plan.h"

static GMutex planner_lock;

fftw_plan rift_fftw_plan_r2c(int n, double *in, fftw_complex *out)
{
    g_mutex_lock(&planner_lock);
    fftw_plan p = fftw_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE);
    g_mutex_unlock(&planner_lock);
    return p;
}

fftw_plan rift_fftw_plan_c2r(int n, fftw_complex *in, double *out)
{
    g_mutex_lock(&planner_lock);
    fftw_plan p = fftw_plan_dft_c2r_1d(n, in, out, FFTW_ESTIMATE);
    g_mutex_unlock(&planner_lock);
    return p;
}

void rift_fftw_destroy(fftw_plan p)
{
    if (!p)
        return;
    g_mutex_lock(&planner_lock);
    fftw_destroy_plan(p);
    g_mutex_unlock(&planner_lock);
}
