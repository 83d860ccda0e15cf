"""Plans and their device limits (configurable through `WAPIZ_PLAN_LIMITS`)."""

from wapiz.config import Settings
from wapiz.kit.errors import BadRequest
from wapiz.kit.text import Text

DEFAULT_PLAN = "free"


def plan_display_name(plan: str) -> str:
    return plan.capitalize()


def device_limit(settings: Settings, plan: str) -> int:
    return settings.plan_limits.get(plan, 0)


def require_known_plan(settings: Settings, plan: str) -> str:
    plan = plan.lower()
    if plan not in settings.plan_limits:
        known = ", ".join(settings.plan_limits)
        raise BadRequest(Text("Paket tidak dikenal: {plan} (pilihan: {known})",
                              "Unknown plan: {plan} (choices: {known})")
                         .format(plan=plan, known=known),
                         code="unknown_plan")
    return plan
