"""The one API object, with every module's router mounted."""

from taihe.kernel.http.api import build_api
from taihe.kernel.http.jobs import router as jobs_router
from taihe.modules.attendance.http import router as attendance_router
from taihe.modules.audit.http import router as audit_router
from taihe.modules.catalog.http import router as catalog_router
from taihe.modules.conservation.http import router as conservation_router
from taihe.modules.directory.http import router as directory_router
from taihe.modules.messaging.http import router as messaging_router
from taihe.modules.notifications.http import router as notifications_router
from taihe.modules.workbench.http import router as workbench_router
from taihe.modules.workflows.http import router as workflows_router

api = build_api(
    title="Taihe API",
    version="1",
    description="The digital workplace for museums. Authenticate with the browser session "
    "(CSRF token for writes) or `Authorization: Bearer thk_...` tokens.",
)
api.add_router("/directory", directory_router, tags=["directory"])
api.add_router("/notifications", notifications_router, tags=["notifications"])
api.add_router("/audit", audit_router, tags=["audit"])
api.add_router("/workbench", workbench_router, tags=["workbench"])
api.add_router("/jobs", jobs_router, tags=["jobs"])
api.add_router("/catalog", catalog_router, tags=["catalog"])
api.add_router("/conservation", conservation_router, tags=["conservation"])
api.add_router("/workflows", workflows_router, tags=["workflows"])
api.add_router("/attendance", attendance_router, tags=["attendance"])
api.add_router("/messaging", messaging_router, tags=["messaging"])
