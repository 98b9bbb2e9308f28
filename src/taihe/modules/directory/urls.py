from django.urls import URLPattern, URLResolver, path

from taihe.modules.directory import auth_urls, views

app_name = "directory"
urlpatterns: list[URLPattern | URLResolver] = [
    path("directory/", views.index, name="index"),
    path("people/<int:person_id>/", views.person_page, name="person"),
    path("people/<int:person_id>/photo", views.person_photo, name="person_photo"),
    path("profile/", views.profile, name="profile"),
    path("profile/photo", views.profile_photo, name="profile_photo"),
    path("profile/language", views.language, name="language"),
    path("profile/tokens/", views.my_tokens, name="my_tokens"),
    path("profile/tokens/<int:token_id>/revoke", views.revoke_token, name="revoke_token"),
    path("directory/manage/people/", views.manage_people, name="manage_people"),
    path("directory/manage/people/new", views.manage_person_create, name="manage_person_create"),
    path("directory/manage/people/<int:person_id>/", views.manage_person, name="manage_person"),
    path("directory/manage/people/<int:person_id>/photo", views.manage_person_photo,
         name="manage_person_photo"),
    path("directory/manage/people/<int:person_id>/deactivate", views.manage_person_deactivate,
         name="manage_person_deactivate"),
    path("directory/manage/departments/", views.manage_departments,
         name="manage_departments"),
    path("directory/manage/departments/<int:department_id>/", views.manage_department,
         name="manage_department"),
    path("directory/manage/departments/<int:department_id>/move", views.manage_department_move,
         name="manage_department_move"),
    path("directory/manage/departments/<int:department_id>/merge",
         views.manage_department_merge, name="manage_department_merge"),
    path("directory/manage/departments/<int:department_id>/close",
         views.manage_department_close, name="manage_department_close"),
    path("directory/manage/roles/", views.manage_roles, name="manage_roles"),
    path("directory/manage/roles/new", views.manage_role, name="manage_role_create"),
    path("directory/manage/roles/<int:role_id>/", views.manage_role, name="manage_role"),
    path("directory/manage/roles/assign", views.manage_role_assign, name="manage_role_assign"),
    path("directory/manage/roles/assignments/<int:assignment_id>/revoke",
         views.manage_role_revoke, name="manage_role_revoke"),
    path("directory/manage/tokens/", views.manage_tokens, name="manage_tokens"),
    path("directory/manage/orgchart/", views.manage_orgchart, name="orgchart"),
    path("directory/manage/orgchart/check", views.manage_orgchart_check, name="orgchart_check"),
    path("directory/manage/orgchart/apply", views.manage_orgchart_apply, name="orgchart_apply"),
    path("directory/manage/orgchart/export", views.manage_orgchart_export,
         name="orgchart_export"),
    path("directory/exports/<int:export_id>/download", views.export_download,
         name="export_download"),
]
# Sign-in, sign-out, password and two-factor pages (``directory:login`` and so on).
urlpatterns += auth_urls.urlpatterns
