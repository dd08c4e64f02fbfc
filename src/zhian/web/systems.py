"""The nine business systems of the plan, and the evaluation dashboard over them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class System:
    """A business system as the navigation shows it."""

    slug: str
    name: str
    plan: str
    summary: str
    ready: bool = False
    page: str | None = None

    @property
    def href(self) -> str:
        """Where the navigation links to: the system's own page once it has one."""
        return self.page or f"/systems/{self.slug}"


SYSTEMS: tuple[System, ...] = (
    System(
        "incidents",
        "接处警与街面巡防",
        "110 接处警、智慧街面巡防",
        "警情受理、警力调度、巡区与勤务等级、热点分析",
        ready=True,
        page="/incidents",
    ),
    System(
        "transport",
        "危爆物品运输与检查站",
        "危爆物品运输、公安检查站",
        "危险货物车辆 JT/T 808 监控、通行证与路线走廊、检查站查验",
        ready=True,
        page="/transport",
    ),
    System(
        "hazmat",
        "危爆物品溯源",
        "危爆物品立体化溯源",
        "企业与许可证、储存场所、流向台账、对账核查",
        ready=True,
        page="/hazmat",
    ),
    System(
        "firearms",
        "枪支弹药管控",
        "枪支弹药智能管控",
        "枪支编号、弹药批次、持枪单位、领用归还、丢失报告",
        ready=True,
        page="/firearms",
    ),
    System(
        "alarms",
        "一键报警与技防",
        "智慧安防小区、一键报警、校园、内保",
        "联网报警账户、报警信号、处警与督办",
    ),
    System("cameras", "视频监控联网", "雪亮工程", "GB/T 28181 摄像机与平台、在线率、重点区域覆盖"),
    System(
        "trades",
        "重点行业场所",
        "娱乐场所和特种行业、寄递物流、新兴业态、内保单位",
        "许可场所、检查、隐患与整改",
    ),
    System(
        "events", "大型活动安全", "大型活动安全监管", "活动申报、风险评估、人员密度、临时禁飞区"
    ),
    System(
        "mediation",
        "矛盾纠纷调处",
        "矛盾纠纷排查调处、三调联动",
        "纠纷登记、调解案件、人民/行政/司法调解衔接",
    ),
)

EVALUATION = System(
    "evaluation", "考评", "考评、领导小组、部门职责", "各区县和部门的目标、指标与任务"
)


def find(slug: str) -> System | None:
    """The system with this slug, or None."""
    for system in (*SYSTEMS, EVALUATION):
        if system.slug == slug:
            return system
    return None
