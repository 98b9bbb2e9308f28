from django.urls import path

from taihe.modules.attendance import views, views_manage, views_payroll

app_name = "attendance"

urlpatterns = [
    # Me and my team (views.py)
    path("", views.me, name="me"),
    path("punch/", views.punch, name="punch"),
    path("devices/", views.devices, name="devices"),
    path("day/<int:person_id>/<str:day>/", views.day, name="day"),
    path("team/", views.team, name="team"),
    path("people/<int:person_id>/", views.person_month, name="person"),
    # HR: rules (views_manage.py)
    path("manage/", views_manage.overview, name="manage"),
    path("manage/calendars/new/", views_manage.calendar_edit, name="calendar_new"),
    path("manage/calendars/<int:calendar_id>/", views_manage.calendar_edit, name="calendar"),
    path("manage/national/", views_manage.national_days, name="national"),
    path("manage/shifts/new/", views_manage.shift_edit, name="shift_new"),
    path("manage/shifts/<int:shift_id>/", views_manage.shift_edit, name="shift"),
    path("manage/groups/new/", views_manage.group_edit, name="group_new"),
    path("manage/groups/<int:group_id>/", views_manage.group_edit, name="group"),
    path("manage/groups/<int:group_id>/roster/", views_manage.roster, name="roster"),
    path("manage/sites/new/", views_manage.site_edit, name="site_new"),
    path("manage/sites/<int:site_id>/", views_manage.site_edit, name="site"),
    path("manage/import/", views_manage.punch_import, name="import"),
    path("manage/balances/", views_manage.balances, name="balances"),
    # HR: month close and payroll export (views_payroll.py)
    path("payroll/", views_payroll.months, name="payroll"),
    path("payroll/layouts/", views_payroll.layouts, name="layouts"),
    path("payroll/<str:month>/", views_payroll.month_detail, name="month"),
    path("payroll/<str:month>/export.<str:fmt>", views_payroll.export, name="export"),
]
